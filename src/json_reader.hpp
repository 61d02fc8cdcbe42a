// A small JSON reader for everything the core parses (server responses, config, the state blob,
// account references). It builds the values nlohmann's json::parse(text, nullptr, false) built
// (as the core's own Json, json.hpp) and, like it, returns a discarded value for anything that is not exactly one JSON value
// (RFC 8259: strict UTF-8, no control characters in strings, no trailing data). It exists for
// size: nlohmann's lexer brings strtod, snprintf and soft long-double arithmetic into the wasm
// (README "Size: what was tried"). Numbers: integers that fit in uint64 (≥ 0) or int64 are integers,
// as with nlohmann; other numbers keep their text (the core accepts integers only, so a float is
// only ever refused or passed on), and one beyond a double's range is refused as nlohmann did.
#pragma once
#include "json.hpp"
#include <string_view>

namespace tapgate {

Json parseJson(std::string_view text);

}  // namespace tapgate
