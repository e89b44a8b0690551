#include "nn/ModelLocation.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

namespace tomolive {

std::string defaultModelPath(std::string_view method) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (const char* env = std::getenv("TOMOLIVE_MODEL"); env && *env) return env;
  std::vector<fs::path> folders;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) folders.push_back(exe.parent_path() / ".." / "share" / "tomolive" / "models");
  folders.push_back(fs::path(TOMOLIVE_SOURCE_MODEL_DIR));
  for (const fs::path& folder : folders) {
    std::vector<std::string> names;
    if (!method.empty()) names.push_back("tomogan_" + std::string(method) + ".h5");
    names.push_back("tomogan.h5");
    for (const std::string& name : names)
      if (const fs::path file = folder / name; fs::exists(file, error))
        return fs::weakly_canonical(file, error).string();
  }
  return {};
}

}  // namespace tomolive
