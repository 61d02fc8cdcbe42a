// The core's JSON value and writer (src/json.hpp) against what nlohmann::json wrote before it:
// the same text for the same value (escaping, invalid UTF-8 replaced, numbers, key order), and
// the same object-or-array reading of braced lists.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <climits>
#include <random>

#include "api.hpp"
#include "json.hpp"
#include "json_reader.hpp"

using tapgate::Json;
using tapgate::JsonTypeError;
using tapgate::parseJson;
using Ref = nlohmann::json;

namespace {

std::string refString(const std::string& s) { return Ref(s).dump(-1, ' ', false, Ref::error_handler_t::replace); }
std::string ourString(const std::string& s) { return Json(s).dump(); }

}  // namespace

TEST(JsonWriter, EscapesEveryByteAsNlohmann) {
  for (int c = 0; c < 256; ++c) {
    const std::string s = std::string("a") + static_cast<char>(c) + "b";
    EXPECT_EQ(ourString(s), refString(s)) << "byte " << c;
  }
  EXPECT_EQ(ourString("q\"b\\s/\x7f"), R"("q\"b\\s/)" "\x7f\"");
  EXPECT_EQ(ourString(std::string("\0\x01\x1f\b\f\n\r\t", 8)), R"("\u0000\u0001\u001f\b\f\n\r\t")");
}

TEST(JsonWriter, PassesValidUtf8Through) {
  for (const char* s : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xf4\x8f\xbf\xbf",
                        "\xef\xbb\xbf", "\xc2\x80"}) {
    EXPECT_EQ(ourString(s), std::string("\"") + s + "\"");
  }
}

// Invalid UTF-8 (overlongs, surrogates, beyond U+10FFFF, stray continuation bytes, sequences cut
// short, also at the end) becomes U+FFFD exactly where nlohmann's replace handler put it.
TEST(JsonWriter, ReplacesInvalidUtf8AsNlohmann) {
  for (const char* s : {"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
                        "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xfe",
                        "\x80", "\xbf\x80", "\xc3", "a\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xe2\x82x", "\xf0\x9f\x98\xc3\xa9",
                        "\xc3\xc3\xa9", "\xe2\x28\xa1", "\xf0\x28\x8c\xbc"}) {
    EXPECT_EQ(ourString(s), refString(s)) << testing::PrintToString(std::string(s));
  }
  EXPECT_EQ(ourString("\xff"), "\"\xEF\xBF\xBD\"");
  EXPECT_EQ(ourString("a\xe2\x82"), "\"a\xEF\xBF\xBD\"");
}

TEST(JsonWriter, RandomBytesAgreeWithNlohmann) {
  std::mt19937 rng(13);
  // Weighted towards the bytes UTF-8 decoding turns on.
  const unsigned char pool[] = {'a', '"', '\\', 0x00, 0x1f, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2,
                                0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      s += static_cast<char>(rng() % 4 == 0 ? rng() % 256 : pool[rng() % sizeof pool]);
    }
    ASSERT_EQ(ourString(s), refString(s)) << testing::PrintToString(s);
  }
}

TEST(JsonWriter, WritesNumbersAsNlohmann) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{7}, std::int64_t{1'700'000'000'000},
                         std::int64_t{INT64_MAX}, std::int64_t{INT64_MIN}, std::int64_t{(1LL << 53) - 1}}) {
    EXPECT_EQ(Json(v).dump(), Ref(v).dump());
  }
  EXPECT_EQ(Json(std::uint64_t{UINT64_MAX}).dump(), "18446744073709551615");
  EXPECT_EQ(Json(true).dump(), "true");
  EXPECT_EQ(Json(nullptr).dump(), "null");
  std::string out;
  tapgate::appendJsonInteger(out, INT64_MIN);
  EXPECT_EQ(out, "-9223372036854775808");
  // Integers read from text keep nlohmann's signed/unsigned split; other numbers keep their text.
  EXPECT_EQ(parseJson("[18446744073709551615,-9223372036854775808,-0,0]").dump(), "[18446744073709551615,-9223372036854775808,0,0]");
  EXPECT_TRUE(parseJson("5").is_number_unsigned());
  EXPECT_FALSE(parseJson("-5").is_number_unsigned());
  EXPECT_EQ(parseJson("[1.50,-2e3,1E-5,0.1]").dump(), "[1.50,-2e3,1E-5,0.1]");
  EXPECT_FALSE(parseJson("1.5").is_number_integer());
}

TEST(JsonWriter, NestsAndSortsKeysAsNlohmann) {
  const Json ours = {{"zeta", 1},
                     {"alpha", {{"b", Json::array({1, "two", nullptr, false})}, {"a", Json::object()}}},
                     {"list", {1, 2, 3}},
                     {"pairs", {{"x", 1}, {2, "y"}}},  // not every element a [string, value] pair: an array
                     {"empty", Json::array()},
                     {"Upper", "é\n"}};
  const Ref ref = {{"zeta", 1},
                   {"alpha", {{"b", Ref::array({1, "two", nullptr, false})}, {"a", Ref::object()}}},
                   {"list", {1, 2, 3}},
                   {"pairs", {{"x", 1}, {2, "y"}}},
                   {"empty", Ref::array()},
                   {"Upper", "é\n"}};
  EXPECT_EQ(ours.dump(), ref.dump());
  EXPECT_EQ(ours.dump(), R"({"Upper":"é\n","alpha":{"a":{},"b":[1,"two",null,false]},"empty":[],"list":[1,2,3],"pairs":[["x",1],[2,"y"]],"zeta":1})");
  // A repeated key keeps its last value, read or assigned.
  EXPECT_EQ(parseJson(R"({"b":1,"a":2,"b":3})").dump(), R"({"a":2,"b":3})");
  Json j;
  j["k"] = 1;
  j["k"] = "v";
  j["a"]["deep"] = Json::array();
  j["a"]["deep"].push_back(Json{{"x", true}});
  EXPECT_EQ(j.dump(), R"({"a":{"deep":[{"x":true}]},"k":"v"})");
  // Round trip of a document made of integers, strings and structures: nlohmann's text.
  const std::string doc = R"( {"s":"\u00e9\"\\\/\t","n":[-3,0,18446744073709551615],"o":{"z":null,"y":[{},[]]},"t":true} )";
  EXPECT_EQ(parseJson(doc).dump(), Ref::parse(doc).dump());
}

TEST(JsonValue, AccessorsAndTypeErrors) {
  const Json j = parseJson(R"({"s":"text","n":-4,"u":4,"b":true,"a":[1,2],"z":null})");
  EXPECT_EQ(j["s"].get<std::string>(), "text");
  EXPECT_EQ(j["n"].get<std::int64_t>(), -4);
  EXPECT_EQ(j["u"].get<std::uint64_t>(), 4u);
  EXPECT_TRUE(j["b"].get<bool>());
  EXPECT_EQ(j["a"].size(), 2u);
  EXPECT_EQ(j["a"][1], 2);
  EXPECT_TRUE(j["missing"].is_null());
  EXPECT_EQ(j.find("missing"), j.end());
  EXPECT_TRUE(j.contains("z"));
  EXPECT_EQ(j.value("s", "fallback"), "text");
  EXPECT_EQ(j.value("missing", "fallback"), "fallback");
  EXPECT_EQ(j.value("n", std::int64_t{0}), -4);
  EXPECT_EQ(Json(4), Json(std::uint64_t{4}));  // compared as numbers, as nlohmann does
  EXPECT_NE(Json(-1), Json(UINT64_MAX));
  EXPECT_THROW(j["s"].get<std::int64_t>(), JsonTypeError);
  EXPECT_THROW(j["n"].get<std::string>(), JsonTypeError);
  EXPECT_THROW(j["u"].get<bool>(), JsonTypeError);
  EXPECT_THROW(j.value("s", false), JsonTypeError);
  EXPECT_THROW(j["a"].value("x", std::int64_t{0}), JsonTypeError);
  Json text = "x";
  EXPECT_THROW(text["k"], JsonTypeError);
  EXPECT_THROW(text.push_back(1), JsonTypeError);
}

// Through the public API: a push token that is not valid UTF-8 reaches the server's request body
// with U+FFFD in its place, as nlohmann's replace handler wrote it, and the text stays JSON.
TEST(JsonWriter, InvalidUtf8FromTheAppIsReplacedInRequests) {
  tapgate::EngineApi api;
  ASSERT_EQ(api.open("", "", 1'700'000'000'000.0), R"({"ok":true})");
  ASSERT_EQ(api.updatePushToken("tok\xff\xc3", 1'700'000'000'000.0), R"({"ok":true,"requests":[]})");
  const Json outputs = parseJson(api.takeOutputs());
  ASSERT_FALSE(outputs.is_discarded());
  const Json state = parseJson(api.state());
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state["pushToken"], "tok\xEF\xBF\xBD\xEF\xBF\xBD");
}
