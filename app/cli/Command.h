#pragma once
// A tomolive-cli command: a CLI11 subcommand whose options fill the command's settings, and what
// runs it once they are parsed. Bad command lines are CLI::ParseError (from CLI11's checks) or
// UsageError (checks across options); main() turns either into one line on stderr, exit code 2.
#include <CLI/CLI.hpp>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tomolive::cli {

/// A bad command line found after parsing (options that exclude each other, …).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Command {
  CLI::App* app = nullptr;   ///< owned by its parent app
  std::function<int()> run;  ///< returns the exit code
};

/// A subcommand of `parent` that answers -h/--help with its generated usage even when other
/// arguments on the line are wrong, its usage ending with the error contract.
CLI::App& addCommand(CLI::App& parent, const std::string& name, const std::string& description);

/// Runs the one of `commands` that was parsed; a UsageError naming them when none was.
int runParsed(const std::vector<Command>& commands);

}  // namespace tomolive::cli
