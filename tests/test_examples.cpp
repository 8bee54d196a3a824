// Every example runs against the bundled fake server, as a user would run it without an API key,
// so the examples cannot rot. MISTRAL_API_KEY is removed from their environment: tests never
// reach the real API.
#include <filesystem>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/fake_server.hpp"
#include "support/subprocess.hpp"

namespace {

struct run_result {
    int exit_code;
    std::string output;
};

run_result run_example(const std::string& program, const std::vector<std::string>& args = {},
                       const std::string& stdin_file = "") {
    mistral::test::fake_server server;
    std::vector<std::string> argv{program};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!stdin_file.empty())
        argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" < " + stdin_file, program};
    const auto log = std::filesystem::temp_directory_path() /
                     ("example-" + std::filesystem::path(program).filename().string() + "-" +
                      std::to_string(server.port()) + ".log");
    mistral::test::subprocess child(
        argv, log.string(), {"MISTRAL_BASE_URL=" + server.base_url()},
        {"MISTRAL_API_KEY", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"});
    const int code = child.wait();
    return {code, child.log()};
}

}  // namespace

TEST_CASE("example stream_chat streams a reply from the fake server") {
    const auto r = run_example(EXAMPLE_stream_chat, {"Write a haiku about C++"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("Tokens drift like snow") != std::string::npos);
    CHECK(r.output.find("finish reason: stop") != std::string::npos);
    CHECK(r.output.find("MISTRAL_API_KEY is not set") != std::string::npos);
}
