// Writes JSON text directly (no json tree): one object per record, keys in a fixed order. The
// state blob (model.cpp) and the history's text (history.cpp) are written with it. Strings go
// through the JSON writer's escaping (json.hpp: invalid UTF-8 replaced, as nlohmann did).
#pragma once
#include <cstdint>
#include <string>

#include "bytes.hpp"
#include "json.hpp"

namespace tapgate {

struct JsonWriter {
  std::string out;
  bool first = true;
  void open(char c) { out += c; first = true; }
  void close(char c) { out += c; first = false; }
  void key(const char* k) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out += k;  // our own keys: nothing to escape
    out += "\":";
  }
  void text(const char* k, const std::string& v) {
    key(k);
    appendJsonString(out, v);
  }
  void b64(const char* k, const Bytes& v) {
    key(k);
    out += '"';
    out += base64url(v);
    out += '"';
  }
  // A secret key: its base64 text is wiped once appended.
  void secret(const char* k, const SecretBytes& v) {
    key(k);
    std::string t = base64url(v.bytes());
    out += '"';
    out += t;
    out += '"';
    wipeBytes(t.data(), t.size());
  }
  void number(const char* k, std::int64_t v) {
    key(k);
    appendJsonInteger(out, v);
  }
  void boolean(const char* k, bool v) {
    key(k);
    out += v ? "true" : "false";
  }
  void element() {  // before an array element or a raw value
    if (!first) out += ',';
    first = false;
  }
};

}  // namespace tapgate
