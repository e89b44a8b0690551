#pragma once
// Command-line arguments of one tomolive-cli command: positionals and --name value options.
// Every option a command reads must be declared; anything else is a usage error.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace tomolive::cli {

/// Bad command line: reported as one line on stderr with exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Arguments {
 public:
  /// `valueOptions` take a value (--name value or --name=value), `flags` do not; "-o" is an
  /// alias of "--output".
  Arguments(const std::vector<std::string>& args, std::set<std::string> valueOptions,
            std::set<std::string> flags);

  const std::vector<std::string>& positionals() const { return m_positionals; }
  std::string positional(std::size_t i, const std::string& what) const;
  bool flag(const std::string& name) const { return m_flags.count(name) > 0; }
  bool has(const std::string& name) const { return m_values.count(name) > 0; }

  std::string text(const std::string& name, const std::string& fallback) const;
  std::optional<std::string> text(const std::string& name) const;
  std::string required(const std::string& name) const;
  int integer(const std::string& name, int fallback, int min, int max) const;
  double number(const std::string& name, double fallback) const;
  std::optional<double> number(const std::string& name) const;
  std::vector<int> integers(const std::string& name, std::vector<int> fallback) const;

 private:
  std::vector<std::string> m_positionals;
  std::map<std::string, std::string> m_values;
  std::set<std::string> m_flags;
};

/// Parses "a:b" (half-open, either side may be empty) into [begin, end); end −1 = to the end.
std::pair<int, int> parseRange(const std::string& text, const std::string& option);

}  // namespace tomolive::cli
