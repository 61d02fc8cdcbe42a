// embind's __getTypeName names a type it has no name for (this build has no RTTI) with
// sprintf("%p"), compiled to siprintf: that one call linked musl's whole printf (about 4 KB of
// code) into the core. The link wraps siprintf (CMakeLists.txt, -Wl,--wrap=siprintf) with this,
// which writes exactly that conversion; nothing else in the wasm calls siprintf. A type name only
// ever appears in embind's "unbound types" error, a bug in the bindings.
#include <cstdarg>
#include <cstdint>
#include <cstring>

extern "C" int __wrap_siprintf(char* out, const char* format, ...) {
  if (std::strcmp(format, "%p") != 0) return -1;  // printf's failure result: nothing written
  std::va_list args;
  va_start(args, format);
  auto value = reinterpret_cast<std::uintptr_t>(va_arg(args, void*));
  va_end(args);
  // As musl prints %p: 0x and lowercase hex digits.
  char digits[2 * sizeof value];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 15];
    value >>= 4;
  } while (value);
  int len = 0;
  out[len++] = '0';
  out[len++] = 'x';
  while (n) out[len++] = digits[--n];
  out[len] = '\0';
  return len;
}
