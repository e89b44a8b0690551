#include "cli/Command.h"

namespace tomolive::cli {

CLI::App& addCommand(CLI::App& parent, const std::string& name, const std::string& description) {
  CLI::App& command = *parent.add_subcommand(name, description);
  parent.require_subcommand(0, 1);  // one command at most: a second word is an error
  // Triggered while parsing, so help wins over errors the rest of the line would raise.
  command.set_help_flag();
  command
      .add_flag_callback(
          "-h,--help", [] { throw CLI::CallForHelp(); }, "Print this help message and exit")
      ->trigger_on_parse();
  command.footer("Bad input ends with one line on stderr and exit code 2.");
  return command;
}

int runParsed(const std::vector<Command>& commands) {
  std::string names;
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
    names += (names.empty() ? "" : ", ") + command.app->get_name();
  }
  throw UsageError("give one of: " + names);
}

}  // namespace tomolive::cli
