// The core's JSON value: what the reader (json_reader.cpp) builds and what events, views and
// request bodies are made of. It replaces nlohmann::json in the core for size (docs/performance.md
// "Size: what was tried": nlohmann's templates, exceptions and serializer were about a tenth of
// the wasm). Its interface is the small part of nlohmann's the core used, with the same meaning,
// so the output is byte for byte what nlohmann wrote:
// - objects keep their keys sorted (nlohmann's std::map), a repeated key replaces the value;
// - a braced list of [string, value] pairs is an object, any other braced list an array;
// - dump() writes compactly, escapes as nlohmann (", \, \b \f \n \r \t, other controls \u00xx,
//   nothing else) and replaces invalid UTF-8 by U+FFFD as nlohmann's error_handler_t::replace;
// - integers ≥ 0 read from text are unsigned, others signed; a number that is not an integer
//   keeps its text as read (the core never computes with one, it only passes it on).
// A value of the wrong type asked for throws JsonTypeError, as nlohmann threw type_error.
#pragma once
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tapgate {

struct JsonTypeError : std::exception {
  const char* what() const noexcept override { return "JSON value of the wrong type"; }
};

class Json {
 public:
  enum class Type : std::uint8_t { Null, Boolean, Integer, Unsigned, Float, String, Array, Object, Discarded };

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::Boolean), bool_(b) {}
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Json(T v) {
    if constexpr (std::is_signed_v<T>) { type_ = Type::Integer; int_ = v; }
    else { type_ = Type::Unsigned; uint_ = v; }
  }
  Json(const char* s) : type_(Type::String), text_(s) {}
  Json(std::string s) : type_(Type::String), text_(std::move(s)) {}
  // nlohmann's rule: a list whose every element is a two-element array starting with a string is
  // an object, anything else an array.
  Json(std::initializer_list<Json> init);

  static Json array(std::initializer_list<Json> init = {});
  static Json object();
  static Json discarded();
  static Json number(std::string text);  // a non-integer number, kept as written

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_boolean() const { return type_ == Type::Boolean; }
  bool is_number_integer() const { return type_ == Type::Integer || type_ == Type::Unsigned; }
  bool is_number_unsigned() const { return type_ == Type::Unsigned; }
  bool is_number_float() const { return type_ == Type::Float; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }
  bool is_structured() const { return is_array() || is_object(); }
  bool is_discarded() const { return type_ == Type::Discarded; }

  template <typename T>
  T get() const;
  template <typename T>
  T get_ref() const {
    static_assert(std::is_same_v<T, const std::string&>);
    if (!is_string()) throw JsonTypeError();
    return text_;
  }
  // A float's text as read; a string's value.
  const std::string& text() const { return text_; }

  // Elements of an array or values of an object, in order (an object's in key order).
  std::size_t size() const { return is_structured() ? values_.size() : (is_null() ? 0 : 1); }
  bool empty() const { return size() == 0; }
  const Json* begin() const { return values_.data(); }
  const Json* end() const { return values_.data() + values_.size(); }
  const std::vector<std::string>& keys() const { return keys_; }  // an object's keys, sorted

  // Object access. find: end() when absent or not an object.
  const Json* find(const std::string& key) const;
  bool contains(const std::string& key) const { return find(key) != end(); }
  // Inserts null when absent; turns a null into an object first (as nlohmann); throws on other types.
  Json& operator[](const std::string& key);
  Json& operator[](const char* key) { return (*this)[std::string(key)]; }
  // Null when absent (nlohmann left that undefined).
  const Json& operator[](const std::string& key) const;
  const Json& operator[](const char* key) const { return (*this)[std::string(key)]; }
  // The member's value, or `fallback` when absent; throws when not an object or of another type.
  template <typename T>
  T value(const std::string& key, const T& fallback) const {
    if (!is_object()) throw JsonTypeError();
    const Json* it = find(key);
    return it == end() ? fallback : it->get<T>();
  }
  std::string value(const std::string& key, const char* fallback) const { return value<std::string>(key, fallback); }

  // An array's element; throws when not an array or out of range. (A template, so that
  // j[0] means this and not a key given as a null pointer.)
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  const Json& operator[](I i) const {
    return at(static_cast<std::size_t>(i));
  }
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  Json& operator[](I i) {
    return const_cast<Json&>(at(static_cast<std::size_t>(i)));
  }

  // Appends to an array; turns a null into an array first (as nlohmann).
  void push_back(Json v);

  std::string dump() const;
  void dumpTo(std::string& out) const;

  bool operator==(const Json& o) const;
  bool operator!=(const Json& o) const { return !(*this == o); }

 private:
  const Json& at(std::size_t i) const;

  Type type_ = Type::Null;
  bool bool_ = false;
  std::int64_t int_ = 0;
  std::uint64_t uint_ = 0;
  std::string text_;                // a string, or a float's text
  std::vector<std::string> keys_;   // an object's keys, sorted, parallel to values_
  std::vector<Json> values_;        // an array's elements or an object's values
};

template <> bool Json::get<bool>() const;
template <> std::int64_t Json::get<std::int64_t>() const;
template <> std::uint64_t Json::get<std::uint64_t>() const;
template <> std::string Json::get<std::string>() const;
template <> Json Json::get<Json>() const;

// JSON text of a string: quoted, escaped and with invalid UTF-8 replaced as dump() does.
void appendJsonString(std::string& out, std::string_view s);
void appendJsonInteger(std::string& out, std::int64_t v);

using json = Json;

}  // namespace tapgate
