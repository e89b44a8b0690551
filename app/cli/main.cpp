// tomolive-cli: simulate, reconstruct, inspect and benchmark from the terminal.
// Bad input ends with one line on stderr naming what was wrong and exit code 2.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/Commands.h"
#include "io/DataExchange.h"
#include "io/FrameRecorder.h"
#include "nn/TomoGanModel.h"

namespace {

using namespace tomolive::cli;

// The command line as CLI11 reads it: no arguments run the demo, `help [COMMAND …]` is
// `[COMMAND …] --help`.
std::vector<std::string> normalised(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return {"demo"};
  if (args.front() == "help") {
    args.erase(args.begin());
    args.push_back("--help");
  }
  return args;
}

// "tomolive-cli" and the commands parsed so far: "tomolive-cli bench stream".
std::string commandPath(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* command = &app; !command->get_subcommands().empty();) {
    command = command->get_subcommands().front();
    path += " " + command->get_name();
  }
  return path;
}

int fail(const CLI::App& app, const std::string& message, int code) {
  std::fprintf(stderr, "%s: %s\n", commandPath(app).c_str(), message.c_str());
  return code;
}

// A bad command line: the message, and where the command's options are described.
int badUsage(const CLI::App& app, const std::string& message) {
  return fail(app, message + " (see '" + commandPath(app) + " --help')", 2);
}

}  // namespace

int main(int argc, char** argv) {
  tomolive::skipHdf5CleanupAtExit();
  CLI::App app("tomolive-cli — live X-ray tomography from the terminal", "tomolive-cli");
  app.option_defaults()->always_capture_default();
  app.footer(
      "Run 'tomolive-cli COMMAND --help' for a command's options. Bad input ends with one line on "
      "stderr and exit code 2; a failure with exit code 1.");
  const std::vector<Command> commands{
      addDemoCommand(app),         addSimulateCommand(app), addReconCommand(app),
      addStreamCommand(app),       addEnhanceCommand(app),  addDetectorSimCommand(app),
      addTrainingDataCommand(app), addQualityCommand(app),  addMethodsCommand(app),
      addRecoverCommand(app),      addInfoCommand(app),     addBenchCommand(app)};
  std::vector<std::string> args = normalised(argc, argv);
  try {
    // A word that names no command is an error even when --help follows it.
    const auto named = [&](const Command& c) { return c.app->check_name(args.front()); };
    if (!args.front().starts_with("-") && std::none_of(commands.begin(), commands.end(), named))
      throw UsageError("unknown command '" + args.front() + "'");
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
    return runParsed(commands);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    return badUsage(app, e.what());
  } catch (const UsageError& e) {
    return badUsage(app, e.what());
  } catch (const tomolive::TomoGanModelError& e) {
    return fail(app, e.what(), 2);
  } catch (const tomolive::DataExchangeError& e) {
    return fail(app, e.what(), 2);
  } catch (const std::invalid_argument& e) {
    return fail(app, e.what(), 2);
  } catch (const std::bad_alloc&) {
    return fail(app, "out of memory", 1);
  } catch (const std::exception& e) {
    return fail(app, e.what(), 1);
  }
}
