#include "cli/Arguments.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace tomolive::cli {

Arguments::Arguments(const std::vector<std::string>& args, std::set<std::string> valueOptions,
                     std::set<std::string> flags) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-o") arg = "--output";
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      m_positionals.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    const auto eq = name.find('=');
    const bool inlineValue = eq != std::string::npos;
    if (inlineValue) value = name.substr(eq + 1), name = name.substr(0, eq);
    if (flags.count(name)) {
      if (inlineValue) throw UsageError("option --" + name + " takes no value");
      m_flags.insert(name);
    } else if (valueOptions.count(name)) {
      if (!inlineValue) {
        if (i + 1 >= args.size()) throw UsageError("option --" + name + " needs a value");
        value = args[++i];
      }
      m_values[name] = value;
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
}

std::string Arguments::positional(std::size_t i, const std::string& what) const {
  if (i >= m_positionals.size()) throw UsageError("missing " + what);
  return m_positionals[i];
}

std::string Arguments::text(const std::string& name, const std::string& fallback) const {
  const auto it = m_values.find(name);
  return it == m_values.end() ? fallback : it->second;
}

std::optional<std::string> Arguments::text(const std::string& name) const {
  const auto it = m_values.find(name);
  if (it == m_values.end()) return std::nullopt;
  return it->second;
}

std::string Arguments::required(const std::string& name) const {
  const auto value = text(name);
  if (!value || value->empty()) throw UsageError("option --" + name + " is required");
  return *value;
}

namespace {
long parseLong(const std::string& text, const std::string& option) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw UsageError("option --" + option + ": '" + text + "' is not an integer");
  return v;
}
}  // namespace

int Arguments::integer(const std::string& name, int fallback, int min, int max) const {
  const auto value = text(name);
  if (!value) return fallback;
  const long v = parseLong(*value, name);
  if (v < min || v > max)
    throw UsageError("option --" + name + ": " + *value + " is outside " + std::to_string(min) +
                     " … " + std::to_string(max));
  return static_cast<int>(v);
}

std::optional<double> Arguments::number(const std::string& name) const {
  const auto value = text(name);
  if (!value) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(value->c_str(), &end);
  if (value->empty() || *end != '\0' || !std::isfinite(v))
    throw UsageError("option --" + name + ": '" + *value + "' is not a finite number");
  return v;
}

double Arguments::number(const std::string& name, double fallback) const {
  return number(name).value_or(fallback);
}

std::vector<int> Arguments::integers(const std::string& name, std::vector<int> fallback) const {
  const auto value = text(name);
  if (!value) return fallback;
  std::vector<int> out;
  std::stringstream in(*value);
  for (std::string item; std::getline(in, item, ',');) {
    const long v = parseLong(item, name);
    if (v < 1 || v > 1 << 20) throw UsageError("option --" + name + ": " + item + " out of range");
    out.push_back(static_cast<int>(v));
  }
  if (out.empty()) throw UsageError("option --" + name + " is empty");
  return out;
}

std::pair<int, int> parseRange(const std::string& text, const std::string& option) {
  const auto colon = text.find(':');
  if (colon == std::string::npos)
    throw UsageError("option --" + option + ": '" + text + "' is not a range a:b");
  const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
  const int begin = a.empty() ? 0 : static_cast<int>(parseLong(a, option));
  const int end = b.empty() ? -1 : static_cast<int>(parseLong(b, option));
  if (begin < 0 || (end != -1 && end <= begin))
    throw UsageError("option --" + option + ": range '" + text + "' is empty or negative");
  return {begin, end};
}

}  // namespace tomolive::cli
