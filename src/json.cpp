#include "json.hpp"

#include <algorithm>

namespace tapgate {

Json::Json(std::initializer_list<Json> init) {
  const bool isObject = std::all_of(init.begin(), init.end(), [](const Json& e) {
    return e.is_array() && e.values_.size() == 2 && e.values_[0].is_string();
  });
  if (!isObject) {
    type_ = Type::Array;
    values_.assign(init.begin(), init.end());
    return;
  }
  type_ = Type::Object;
  for (const Json& e : init) (*this)[e.values_[0].text_] = e.values_[1];
}

Json Json::array(std::initializer_list<Json> init) {
  Json j;
  j.type_ = Type::Array;
  j.values_.assign(init.begin(), init.end());
  return j;
}

Json Json::object() {
  Json j;
  j.type_ = Type::Object;
  return j;
}

Json Json::discarded() {
  Json j;
  j.type_ = Type::Discarded;
  return j;
}

Json Json::number(std::string text) {
  Json j;
  j.type_ = Type::Float;
  j.text_ = std::move(text);
  return j;
}

template <>
bool Json::get<bool>() const {
  if (!is_boolean()) throw JsonTypeError();
  return bool_;
}

template <>
std::int64_t Json::get<std::int64_t>() const {
  if (type_ == Type::Integer) return int_;
  if (type_ == Type::Unsigned) return static_cast<std::int64_t>(uint_);
  throw JsonTypeError();
}

template <>
std::uint64_t Json::get<std::uint64_t>() const {
  if (type_ == Type::Unsigned) return uint_;
  if (type_ == Type::Integer) return static_cast<std::uint64_t>(int_);
  throw JsonTypeError();
}

template <>
std::string Json::get<std::string>() const {
  if (!is_string()) throw JsonTypeError();
  return text_;
}

template <>
Json Json::get<Json>() const {
  return *this;
}

const Json* Json::find(const std::string& key) const {
  if (!is_object()) return end();
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
  if (it == keys_.end() || *it != key) return end();
  return &values_[it - keys_.begin()];
}

Json& Json::operator[](const std::string& key) {
  if (is_null()) type_ = Type::Object;
  if (!is_object()) throw JsonTypeError();
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
  const auto at = it - keys_.begin();
  if (it == keys_.end() || *it != key) {
    keys_.insert(it, key);
    values_.insert(values_.begin() + at, Json());
  }
  return values_[at];
}

const Json& Json::operator[](const std::string& key) const {
  static const Json kNull;
  const Json* it = find(key);
  return it == end() ? kNull : *it;
}

const Json& Json::at(std::size_t i) const {
  if (!is_array() || i >= values_.size()) throw JsonTypeError();
  return values_[i];
}

void Json::push_back(Json v) {
  if (is_null()) type_ = Type::Array;
  if (!is_array()) throw JsonTypeError();
  values_.push_back(std::move(v));
}

bool Json::operator==(const Json& o) const {
  if (is_number_integer() && o.is_number_integer()) {
    // Numerically, as nlohmann compares a signed with an unsigned integer.
    const bool negative = type_ == Type::Integer && int_ < 0, otherNegative = o.type_ == Type::Integer && o.int_ < 0;
    return negative == otherNegative && get<std::uint64_t>() == o.get<std::uint64_t>();
  }
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::Boolean: return bool_ == o.bool_;
    case Type::Float:
    case Type::String: return text_ == o.text_;
    case Type::Object: return keys_ == o.keys_ && values_ == o.values_;
    case Type::Array: return values_ == o.values_;
    case Type::Discarded: return false;  // as nlohmann: a discarded value equals nothing
    default: return true;
  }
}

namespace {

void appendUnsigned(std::string& out, std::uint64_t u) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  while (n) out += digits[--n];
}

}  // namespace

void appendJsonInteger(std::string& out, std::int64_t v) {
  if (v < 0) out += '-';
  // The magnitude as unsigned, so INT64_MIN has one too.
  appendUnsigned(out, v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v));
}

namespace {

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, nothing above
// U+10FFFF), or 0 with `bad` set to how many bytes one replacement character stands for: the lead
// byte alone, or the valid beginning of a sequence (the byte that broke it is read again), which
// is where nlohmann's decoder put its U+FFFD.
std::size_t utf8Sequence(std::string_view s, std::size_t i, std::size_t& bad) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 1;
  else if (c >= 0xE0 && c <= 0xEF) { n = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
  else { bad = 1; return 0; }
  for (std::size_t k = 1; k <= n; ++k) {
    if (i + k >= s.size()) { bad = k; return 0; }  // cut short by the end of the string
    const unsigned char next = b(i + k);
    if (next < (k == 1 ? lo : 0x80) || next > (k == 1 ? hi : 0xBF)) { bad = k; return 0; }
  }
  return n + 1;
}

}  // namespace

void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t bad = 0;
      const std::size_t n = utf8Sequence(s, i, bad);
      if (n) out.append(s.substr(i, n));
      else out += "\xEF\xBF\xBD";  // U+FFFD
      i += n ? n : bad;
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void Json::dumpTo(std::string& out) const {
  switch (type_) {
    case Type::Null: out += "null"; break;
    case Type::Boolean: out += bool_ ? "true" : "false"; break;
    case Type::Integer: appendJsonInteger(out, int_); break;
    case Type::Unsigned: appendUnsigned(out, uint_); break;
    case Type::Float: out += text_; break;
    case Type::String: appendJsonString(out, text_); break;
    case Type::Array:
      out += '[';
      for (std::size_t i = 0; i < values_.size(); ++i) {
        if (i) out += ',';
        values_[i].dumpTo(out);
      }
      out += ']';
      break;
    case Type::Object:
      out += '{';
      for (std::size_t i = 0; i < values_.size(); ++i) {
        if (i) out += ',';
        appendJsonString(out, keys_[i]);
        out += ':';
        values_[i].dumpTo(out);
      }
      out += '}';
      break;
    case Type::Discarded: out += "<discarded>"; break;  // as nlohmann; never sent
  }
}

std::string Json::dump() const {
  std::string out;
  dumpTo(out);
  return out;
}

}  // namespace tapgate
