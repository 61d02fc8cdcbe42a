// parseJson against nlohmann's own parser: the same value, or both refuse.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "json_reader.hpp"

using nlohmann::json;
using tapgate::parseJson;

namespace {

// Equal, except that floats (read approximately by parseJson) only need to be close.
bool close(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_number_float()) {
    const double x = a.get<double>(), y = b.get<double>();
    return x == y || std::fabs(x - y) <= 1e-9 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.is_array() || a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
      if (a.is_object() && i.key() != j.key()) return false;
      if (!close(*i, *j)) return false;
    }
    return true;
  }
  return a == b;
}

void same(const std::string& text) {
  const json ref = json::parse(text, nullptr, false);
  const json got = parseJson(text);
  ASSERT_EQ(got.is_discarded(), ref.is_discarded()) << text;
  if (ref.is_discarded()) return;
  EXPECT_TRUE(close(got, ref)) << text << "\n got " << got.dump() << "\n ref " << ref.dump();
}

}  // namespace

TEST(JsonReader, AgreesWithNlohmannOnValidAndInvalidText) {
  for (const char* t : {
           "{}", "[]", "null", "true", "false", "0", "-0", "1", "-1", "123456789", "9223372036854775807",
           "-9223372036854775808", "9223372036854775808", "18446744073709551615", "18446744073709551616",
           "-9223372036854775809", "1.5", "-1.5e3", "1e400", "1E-5", "0.0", "1.", ".5", "01", "-", "+1", "1e", "1e+",
           "\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"\\u0041\\u00e9\\u20AC\"", "\"\\ud83d\\ude00\"", "\"\\ud83d\"",
           "\"\\ude00\"", "\"\\ud83dx\"", "\"\\u12\"", "\"\\x\"", "\"a\tb\"", "\"\xc3\xa9\"", "\"\xe2\x82\xac\"",
           "\"\xf0\x9f\x98\x80\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xff\"", "\"\xc3\"",
           "\"abc", "{\"a\":1,\"b\":[1,2,{\"c\":null}]}", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{1:2}",
           "{\"a\":1,\"a\":2}", " \t\r\n[ 1 , 2 ] \n", "[1] x", "", "   ", "tru", "nul", "truex", "\xEF\xBB\xBF{}",
           "[[[[[[[[[[]]]]]]]]]]", "{\"v\":1,\"x\":\"\\u0000\"}", "[-]", "[1e5]", "[-0.0]", "{\"k\":\"v\"}garbage"}) {
    same(t);
  }
}

TEST(JsonReader, RandomMutationsAgree) {
  std::mt19937 rng(7);
  const std::string seeds[] = {
      R"({"v":1,"ok":true,"list":[1,-2,"three",null,{"x":"\u00e9"}],"n":12345678901})",
      R"(["a\"b",{"k":[[],{}]},false,0,-0,"\ud83d\ude00"])",
  };
  const char alphabet[] = "{}[]\":,.-+eE0123456789abtrufnl\\u \xc3\xa9\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string t = seeds[i % 2];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !t.empty(); ++e) {
      const std::size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0: t.erase(at, 1); break;
        case 1: t.insert(at, 1, alphabet[rng() % (sizeof alphabet - 1)]); break;
        default: t[at] = alphabet[rng() % (sizeof alphabet - 1)]; break;
      }
    }
    same(t);
  }
}

TEST(JsonReader, DeepNestingIsRefusedNotRecursedInto) {
  EXPECT_TRUE(parseJson(std::string(100000, '[') + std::string(100000, ']')).is_discarded());
  EXPECT_FALSE(parseJson(std::string(32, '[') + std::string(32, ']')).is_discarded());
}
