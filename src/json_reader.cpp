#include "json_reader.hpp"

#include <cstdint>
#include <vector>

namespace tapgate {
namespace {

// Deep enough for any document the core reads; deeper input is refused rather than recursed into.
constexpr int kMaxDepth = 64;

struct Reader {
  std::string_view s;
  std::size_t p = 0;
  bool ok = true;

  bool fail() { ok = false; return false; }
  void ws() {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
  }
  bool eat(char c) {
    if (p < s.size() && s[p] == c) { ++p; return true; }
    return false;
  }
  bool literal(std::string_view word) {
    if (s.substr(p, word.size()) != word) return fail();
    p += word.size();
    return true;
  }
  int hex4() {
    if (s.size() - p < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s[p++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return -1;
    }
    return v;
  }
  static void utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  // One UTF-8 sequence starting at s[p] (a lead byte ≥ 0x80), RFC 3629: no overlongs, no
  // surrogates, nothing above U+10FFFF.
  bool multibyte(std::string& out) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = b(p);
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return fail();
    if (s.size() - p <= static_cast<std::size_t>(n)) return fail();
    if (b(p + 1) < lo || b(p + 1) > hi) return fail();
    for (int i = 2; i <= n; ++i) if (b(p + i) < 0x80 || b(p + i) > 0xBF) return fail();
    out.append(s.substr(p, n + 1));
    p += n + 1;
    return true;
  }
  bool string(std::string& out) {
    if (!eat('"')) return fail();
    while (true) {
      if (p >= s.size()) return fail();
      const unsigned char c = static_cast<unsigned char>(s[p]);
      if (c == '"') { ++p; return true; }
      if (c < 0x20) return fail();
      if (c >= 0x80) { if (!multibyte(out)) return false; continue; }
      ++p;
      if (c != '\\') { out += static_cast<char>(c); continue; }
      if (p >= s.size()) return fail();
      const char e = s[p++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          int cp = hex4();
          if (cp < 0) return fail();
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail();  // a lone low surrogate
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!eat('\\') || !eat('u')) return fail();
            const int low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) return fail();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          utf8(out, static_cast<std::uint32_t>(cp));
          break;
        }
        default: return fail();
      }
    }
  }
  bool number(Json& out) {
    const std::size_t start = p;
    const bool negative = eat('-');
    const std::size_t digits = p;
    if (p >= s.size() || s[p] < '0' || s[p] > '9') return fail();
    if (s[p] == '0') ++p;
    else while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    const std::size_t intEnd = p;
    bool isFloat = false;
    if (eat('.')) {
      isFloat = true;
      if (p >= s.size() || s[p] < '0' || s[p] > '9') return fail();
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    }
    std::int64_t exp = 0;
    if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
      isFloat = true;
      ++p;
      bool expNegative = false;
      if (!eat('+')) expNegative = eat('-');
      if (p >= s.size() || s[p] < '0' || s[p] > '9') return fail();
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (exp < 100000) exp = exp * 10 + (s[p] - '0');
        ++p;
      }
      if (expNegative) exp = -exp;
    }
    if (!isFloat) {
      std::uint64_t v = 0;
      bool fits = true;
      for (std::size_t i = digits; i < intEnd && fits; ++i) {
        const unsigned d = static_cast<unsigned>(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) fits = false;
        else v = v * 10 + d;
      }
      if (fits && !negative) {
        out = v;  // unsigned, as nlohmann reads every non-negative integer
        return true;
      }
      if (fits && v <= static_cast<std::uint64_t>(INT64_MAX) + 1) {
        out = v == static_cast<std::uint64_t>(INT64_MAX) + 1 ? INT64_MIN : -static_cast<std::int64_t>(v);
        return true;
      }
    }
    // A float: kept as written (see the header). Only its magnitude is worked out, roughly, to
    // refuse what a double can't hold. Digits beyond what a double holds only scale it.
    double m = 0;
    for (std::size_t i = digits; i < p; ++i) {
      const char c = s[i];
      if (c == '.') continue;
      if (c == 'e' || c == 'E') break;
      m = m * 10 + (c - '0');
    }
    for (std::size_t i = intEnd; i < p && s[i] != 'e' && s[i] != 'E'; ++i) if (s[i] != '.') --exp;
    for (; exp > 0 && m != 0 && m < 1e307; --exp) m *= 10;
    if (exp > 0 && m != 0) return fail();  // beyond a double: nlohmann refuses it too
    out = Json::number(std::string(s.substr(start, p - start)));
    return true;
  }
  bool value(Json& out, int depth) {
    if (depth > kMaxDepth) return fail();
    ws();
    if (p >= s.size()) return fail();
    switch (s[p]) {
      case '{': {
        ++p;
        out = Json::object();
        ws();
        if (eat('}')) return true;
        do {
          ws();
          std::string key;
          if (!string(key)) return false;
          ws();
          if (!eat(':')) return fail();
          Json v;
          if (!value(v, depth + 1)) return false;
          out[key] = std::move(v);  // a repeated key: the last one wins, as with nlohmann
          ws();
        } while (eat(','));
        return eat('}') || fail();
      }
      case '[': {
        ++p;
        out = Json::array();
        ws();
        if (eat(']')) return true;
        do {
          Json v;
          if (!value(v, depth + 1)) return false;
          out.push_back(std::move(v));
          ws();
        } while (eat(','));
        return eat(']') || fail();
      }
      case '"': {
        std::string str;
        if (!string(str)) return false;
        out = std::move(str);
        return true;
      }
      case 't': out = true; return literal("true");
      case 'f': out = false; return literal("false");
      case 'n': out = nullptr; return literal("null");
      default: return number(out);
    }
  }
};

}  // namespace

Json parseJson(std::string_view text) {
  Reader r{text};
  if (text.substr(0, 3) == "\xEF\xBB\xBF") r.p = 3;  // a UTF-8 byte order mark, skipped as nlohmann does
  Json out;
  if (!r.value(out, 0)) return Json::discarded();
  r.ws();
  if (r.p != text.size()) return Json::discarded();
  return out;
}

}  // namespace tapgate
