// One line per event on stderr: text for a terminal, JSON lines for
// containers. Every line has a time, a level and, where it applies, the
// source it is about. Callers never pass credentials (see control/).
// Messages and sources often quote what a peer sent (an HTTP reason, a JSON
// error, a device name): both are escaped so no peer string can start a line
// of its own or hide bytes from a terminal.
#pragma once

#include <string>
#include <string_view>

namespace sr::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// Process-wide, set once at start-up.
void configure(std::string_view level, std::string_view format);
bool enabled(Level level);
void write(Level level, std::string_view source, std::string_view message);

// `s` safe on one text log line: CR, LF, tab, other C0 controls, DEL and C1
// controls as \r \n \t \u00XX, U+2028/U+2029 as \u2028/\u2029, bytes that
// are not UTF-8 as \xNN, and the backslash itself doubled (so an escape in
// the output always means an escape). Valid UTF-8 text is kept as is.
std::string escape_text(std::string_view s);
// `s` as valid UTF-8 for a JSON line: each byte that is not UTF-8 becomes
// U+FFFD (the JSON serializer escapes the controls itself).
std::string valid_utf8(std::string_view s);

inline void debug(std::string_view source, std::string_view m) { write(Level::debug, source, m); }
inline void info(std::string_view source, std::string_view m) { write(Level::info, source, m); }
inline void warn(std::string_view source, std::string_view m) { write(Level::warn, source, m); }
inline void error(std::string_view source, std::string_view m) { write(Level::error, source, m); }

}  // namespace sr::log
