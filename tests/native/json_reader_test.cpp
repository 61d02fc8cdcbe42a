// parseJson against nlohmann's own parser (the core's reader replaced it): the same value, or both
// refuse.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <cmath>
#include <cstdlib>
#include <random>

#include "json_reader.hpp"

using json = nlohmann::json;
using tapgate::Json;
using tapgate::parseJson;

namespace {

// The same value: same types (signed and unsigned integers apart, as nlohmann reads them), same
// keys in the same order; a float, kept as written by parseJson, reads as nlohmann's double.
bool close(const Json& a, const json& b) {
  switch (a.type()) {
    case Json::Type::Null: return b.is_null();
    case Json::Type::Boolean: return b.is_boolean() && a.get<bool>() == b.get<bool>();
    case Json::Type::Integer: return b.is_number_integer() && !b.is_number_unsigned() && a.get<std::int64_t>() == b.get<std::int64_t>();
    case Json::Type::Unsigned: return b.is_number_unsigned() && a.get<std::uint64_t>() == b.get<std::uint64_t>();
    case Json::Type::Float: return b.is_number_float() && std::strtod(a.text().c_str(), nullptr) == b.get<double>();
    case Json::Type::String: return b.is_string() && a.get<std::string>() == b.get<std::string>();
    case Json::Type::Array:
    case Json::Type::Object: {
      if (a.is_array() != b.is_array() || a.is_object() != b.is_object() || a.size() != b.size()) return false;
      auto j = b.begin();
      for (std::size_t i = 0; i < a.size(); ++i, ++j) {
        if (a.is_object() && a.keys()[i] != j.key()) return false;
        if (!close(a.begin()[i], *j)) return false;
      }
      return true;
    }
    case Json::Type::Discarded: return false;
  }
  return false;
}

void same(const std::string& text) {
  const json ref = json::parse(text, nullptr, false);
  const Json got = parseJson(text);
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
