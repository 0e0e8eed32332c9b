// One line per event on stderr: text for a terminal, JSON lines for
// containers. Every line has a time, a level and, where it applies, the
// source it is about. Callers never pass credentials (see control/).
#pragma once

#include <string>
#include <string_view>

namespace sr::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// Process-wide, set once at start-up.
void configure(std::string_view level, std::string_view format);
bool enabled(Level level);
void write(Level level, std::string_view source, std::string_view message);

inline void debug(std::string_view source, std::string_view m) { write(Level::debug, source, m); }
inline void info(std::string_view source, std::string_view m) { write(Level::info, source, m); }
inline void warn(std::string_view source, std::string_view m) { write(Level::warn, source, m); }
inline void error(std::string_view source, std::string_view m) { write(Level::error, source, m); }

}  // namespace sr::log
