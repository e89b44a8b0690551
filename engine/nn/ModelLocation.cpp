#include "nn/ModelLocation.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace tomolive {

std::string defaultModelPath() {
  namespace fs = std::filesystem;
  std::error_code error;
  if (const char* env = std::getenv("TOMOLIVE_MODEL"); env && *env) return env;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path installed =
        exe.parent_path() / ".." / "share" / "tomolive" / "models" / "tomogan.h5";
    if (fs::exists(installed, error)) return fs::weakly_canonical(installed, error).string();
  }
  const fs::path source = fs::path(TOMOLIVE_SOURCE_MODEL_DIR) / "tomogan.h5";
  if (fs::exists(source, error)) return source.string();
  return {};
}

}  // namespace tomolive
