// tests/support/subprocess.hpp: starts a helper program (Prism, the fake server, an example) for a
// test and stops it after. POSIX only, like the rest of tests/support.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace mistral::test {

/// A child process in its own process group, with stdout and stderr written to a log file.
/// Its environment is this process's, minus the names in `unset`, plus the "NAME=value"
/// entries of `set`. The destructor terminates the whole group.
class subprocess {
public:
    subprocess(const std::vector<std::string>& argv, std::string log_path,
               const std::vector<std::string>& set = {}, const std::vector<std::string>& unset = {})
        : log_path_(std::move(log_path)) {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        std::vector<std::string> env_storage;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry = *e;
            const std::string name = entry.substr(0, entry.find('='));
            bool drop = false;
            for (const auto& u : unset) drop = drop || u == name;
            for (const auto& s : set) drop = drop || s.substr(0, s.find('=')) == name;
            if (!drop) env_storage.push_back(entry);
        }
        env_storage.insert(env_storage.end(), set.begin(), set.end());
        std::vector<char*> env;
        for (auto& e : env_storage) env.push_back(e.data());
        env.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
        const int rc = posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), env.data());
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
    }
    subprocess(const subprocess&) = delete;
    subprocess& operator=(const subprocess&) = delete;
    ~subprocess() { stop(); }

    /// Terminates the process group and waits for the child.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(-pid_, SIGTERM);
        for (int i = 0; i < 50 && !exited(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!exited()) {
            ::kill(-pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        pid_ = -1;
    }

    /// Kills the process group at once (SIGKILL: no handler runs) and waits for the child.
    void kill_now() {
        if (pid_ <= 0) return;
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    /// Waits for the child to exit on its own and returns its exit code (-1 if killed).
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    /// What the child has written so far.
    std::string log() const {
        std::ifstream in(log_path_);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }

private:
    bool exited() { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }

    pid_t pid_ = -1;
    std::string log_path_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago.
inline int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

/// Waits until something accepts connections on 127.0.0.1:port.
inline bool wait_for_port(int port, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port));
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        if (ok) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

}  // namespace mistral::test
