// tests/test_codec_differential.cpp: what the JSON codecs do, pinned byte for byte, so that a new
// implementation of them can be proved to change nothing observable. Inputs: every JSON fixture,
// every JSON fuzz corpus entry, every recorded stream and stream corpus entry, every error body,
// and mutants of the JSON ones made by a seeded generator (members removed, nulled, given a value
// of another kind, unknown members added, array elements repeated). Outputs, for each input and
// each type it could be: the decoded value encoded again (the wire bytes), or the protocol_error
// with its JSON path; for a reused object (read_json) too; for chunks, the stream's fast path; for
// streams, the folded reply or the error; for error bodies, every field of the api_error.
//
// tests/fixtures/codec_differential.txt holds what the codecs produced when it was recorded: the
// whole text for the fixtures and streams, a 64-bit hash of it for each mutant (thousands of
// them). To record it again, when a change of behaviour is meant:
//   MISTRAL_RECORD_CODECS=tests/fixtures/codec_differential.txt
//   build/dev/tests/test_codec_differential
#include <mistral/core.hpp>
#include <mistral/impl/chunk_decoder.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "catch.hpp"
#include "fixtures.hpp"

namespace fs = std::filesystem;
using namespace mistral;

namespace {

// Deterministic on every platform: no std::*_distribution, whose results the standard leaves to
// each library.
class splitmix {
public:
    explicit splitmix(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

private:
    std::uint64_t state_;
};

std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// The files of a directory with one of the extensions, sorted by name (the order of a directory
// listing is the file system's).
std::vector<fs::path> files(const fs::path& dir, const std::vector<std::string>& extensions) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string ext = entry.path().extension().string();
        if (extensions.empty() ||
            std::find(extensions.begin(), extensions.end(), ext) != extensions.end())
            out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string describe(const protocol_error& e) {
    return "protocol_error path=" + e.path() + " what=" + e.what();
}

// Decoding `text` as T: the value encoded again, or the error.
template <class T>
std::string decode_as(const std::string& text) {
    try {
        return to_json(from_json<T>(text));
    } catch (const protocol_error& e) {
        return describe(e);
    }
}

// The same through read_json into an object that held the previous input's value.
template <class T>
std::string reuse_as(const std::string& text, T& reused) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    if (ec) return "not JSON";
    try {
        read_json(v, reused);
        return to_json(reused);
    } catch (const protocol_error& e) {
        reused = T{};  // what is left after an error is not part of the contract
        return describe(e);
    }
}

// The stream's chunk decoder, whose fast path skips the JSON tree.
std::string fast_chunk(const std::string& text) {
    static detail::chunk_decoder<> decoder;  // reused across inputs, as in a stream
    try {
        switch (decoder.decode("message", text)) {
            case detail::chunk_decoder<>::result::chunk:
                return "chunk " + to_json(decoder.chunk());
            case detail::chunk_decoder<>::result::done:
                return "done";
            case detail::chunk_decoder<>::result::error:
                return "error event " + decoder.error_data();
            case detail::chunk_decoder<>::result::skip:
                return "skip";
        }
        return "?";
    } catch (const mistral::error& e) {
        return std::string("error ") + e.what();
    }
}

// Every way the codecs see a JSON text.
std::string outcomes(const std::string& text) {
    static chat_request reused_request;
    static chat_response reused_response;
    static chat_chunk reused_chunk;
    std::string out;
    out += "  request: " + decode_as<chat_request>(text) + "\n";
    out += "  response: " + decode_as<chat_response>(text) + "\n";
    out += "  chunk: " + decode_as<chat_chunk>(text) + "\n";
    out += "  message: " + decode_as<message>(text) + "\n";
    out += "  reused request: " + reuse_as(text, reused_request) + "\n";
    out += "  reused response: " + reuse_as(text, reused_response) + "\n";
    out += "  reused chunk: " + reuse_as(text, reused_chunk) + "\n";
    out += "  fast chunk: " + fast_chunk(text) + "\n";
    return out;
}

// A recorded stream through the byte-fed decoder, fed in 7-byte pieces.
std::string stream_outcome(const std::string& sse) {
    std::string out;
    try {
        stream_decoder decoder;
        response_head head{200, {}};
        head.headers.add("Content-Type", "text/event-stream");
        decoder.head(head);
        for (std::size_t at = 0; at < sse.size(); at += 7) {
            decoder.feed(std::string_view(sse).substr(at, 7),
                         [&out](const chat_chunk& c) { out += "  chunk " + to_json(c) + "\n"; });
        }
        out += "  folded " + to_json(decoder.finish()) + "\n";
    } catch (const mistral::error& e) {
        out += std::string("  error ") + e.what() + "\n";
        if (const auto* partial = e.partial_response())
            out += "  partial " + to_json(*partial) + "\n";
    }
    return out;
}

std::string error_outcome(int status, const std::string& body) {
    try {
        (void)decode_response(response_head{status, {}}, body);
        return "  no error\n";
    } catch (const api_error& e) {
        std::string out = "  status=" + std::to_string(e.status()) + " type=" + e.type() +
                          " code=" + e.code() + " param=" + e.param() + " message=" + e.message() +
                          "\n";
        for (const auto& issue : e.validation_issues())
            out += "  issue loc=" + issue.location + " msg=" + issue.message +
                   " type=" + issue.type + "\n";
        return out + "  what=" + e.what() + "\n";
    }
}

// Every value of a JSON tree, with a way to replace or remove it.
struct place {
    boost::json::value* value;
    boost::json::value* parent;  // an object or array, or nullptr for the root
    std::string key;             // in an object
    std::size_t index = 0;       // in an array
};

void collect(boost::json::value& v, boost::json::value* parent, const std::string& key,
             std::size_t index, std::vector<place>& out) {
    out.push_back({&v, parent, key, index});
    if (v.is_object()) {
        for (auto& member : v.as_object())
            collect(member.value(), &v, std::string(member.key()), 0, out);
    } else if (v.is_array()) {
        auto& a = v.as_array();
        for (std::size_t i = 0; i < a.size(); ++i) collect(a[i], &v, "", i, out);
    }
}

boost::json::value other_kind(splitmix& rng, const boost::json::value& was) {
    switch (rng.below(9)) {
        case 0:
            return nullptr;
        case 1:
            return static_cast<std::int64_t>(rng.below(2000)) - 1000;
        case 2:
            return 0.5 + static_cast<double>(rng.below(100));
        case 3:
            return boost::json::string("text" + std::to_string(rng.below(10)));
        case 4:
            return rng.below(2) == 0;
        case 5:
            return boost::json::object{};
        case 6:
            return boost::json::array{};
        case 7:
            return boost::json::object{{"type", "text"}, {"text", "x"}};
        default:  // the same kind, another value
            if (was.is_string()) return boost::json::string(std::string(was.as_string()) + "~");
            if (was.is_int64()) return was.as_int64() + 1;
            return 1.0e300;
    }
}

// One mutation at a random place.
void mutate(splitmix& rng, boost::json::value& root) {
    std::vector<place> places;
    collect(root, nullptr, "", 0, places);
    const place p = places[rng.below(places.size())];
    switch (rng.below(5)) {
        case 0:  // removed
            if (p.parent != nullptr && p.parent->is_object()) {
                p.parent->as_object().erase(p.key);
            } else if (p.parent != nullptr) {
                auto& a = p.parent->as_array();
                a.erase(a.begin() + static_cast<std::ptrdiff_t>(p.index));
            }
            return;
        case 1:
            *p.value = nullptr;
            return;
        case 2:
            *p.value = other_kind(rng, *p.value);
            return;
        case 3:  // an unknown member
            if (p.value->is_object())
                p.value->as_object()["zz_unknown_" + std::to_string(rng.below(4))] =
                    other_kind(rng, nullptr);
            return;
        default:  // an array element repeated
            if (p.value->is_array() && !p.value->as_array().empty()) {
                auto& a = p.value->as_array();
                a.push_back(a[rng.below(a.size())]);
            }
            return;
    }
}

constexpr int mutants_per_seed = 150;

// One case of the record: what the file keeps of it (a header line and the outcomes, or for a
// mutant a header line with their hash), and the whole of it, shown when it differs.
struct recorded_case {
    std::string kept;
    std::string whole;
};

std::vector<recorded_case> record() {
    const fs::path fixtures = MISTRAL_TEST_FIXTURES_DIR;
    const fs::path corpus = fixtures / ".." / ".." / "fuzz" / "corpus" / "json";
    std::vector<std::pair<std::string, std::string>> seeds;  // name, JSON text
    for (const auto& p : files(fixtures, {".json"}))
        seeds.emplace_back("fixtures/" + p.filename().string(), read_file(p));
    for (const auto& p : files(fixtures / "streams", {".json"}))
        seeds.emplace_back("fixtures/streams/" + p.filename().string(), read_file(p));
    for (const auto& p : files(corpus, {}))
        seeds.emplace_back("corpus/json/" + p.filename().string(), read_file(p));

    std::vector<recorded_case> out;
    const auto whole = [&out](std::string text) { out.push_back({text, text}); };
    for (const auto& [name, text] : seeds) whole("== " + name + "\n" + outcomes(text));
    for (const auto& p : files(fixtures / "streams", {".sse"}))
        whole("== stream " + p.filename().string() + "\n" + stream_outcome(read_file(p)));
    for (const auto& p : files(corpus / ".." / "stream", {}))
        whole("== stream corpus/stream/" + p.filename().string() + "\n" +
              stream_outcome(read_file(p)));
    for (const auto& p : files(fixtures / "errors", {})) {
        whole("== error body " + p.filename().string() + "\n" +
              error_outcome(std::atoi(p.filename().string().c_str()), read_file(p)));
    }

    splitmix rng(20261206);
    for (const auto& [name, text] : seeds) {
        boost::system::error_code ec;
        const boost::json::value seed = boost::json::parse(text, ec);
        if (ec) continue;  // a corpus entry that is not JSON: its outcomes are above
        for (int i = 0; i < mutants_per_seed; ++i) {
            boost::json::value mutant = seed;
            const std::size_t mutations = 1 + rng.below(3);
            for (std::size_t m = 0; m < mutations; ++m) mutate(rng, mutant);
            const std::string input = boost::json::serialize(mutant);
            const std::string result = outcomes(input);
            char hash[17];
            std::snprintf(hash, sizeof hash, "%016llx",
                          static_cast<unsigned long long>(fnv1a(input + "\n" + result)));
            const std::string header = "== " + name + " mutant " + std::to_string(i);
            out.push_back(
                {header + " " + hash + "\n", header + "\n  input: " + input + "\n" + result});
        }
    }
    return out;
}

}  // namespace

TEST_CASE("codecs: every input decodes and encodes exactly as when the record was made") {
    const std::vector<recorded_case> now = record();
    std::string kept;
    for (const auto& c : now) kept += c.kept;
    if (const char* path = std::getenv("MISTRAL_RECORD_CODECS")) {
        std::ofstream(path, std::ios::binary) << kept;
        WARN("recorded " << now.size() << " cases in " << path);
        return;
    }
    const std::string then =
        read_file(fs::path(MISTRAL_TEST_FIXTURES_DIR) / "codec_differential.txt");
    if (kept == then) {
        SUCCEED(now.size() << " cases, identical");
        return;
    }
    // The first case that differs, whole.
    std::size_t at = 0;
    for (const auto& c : now) {
        if (then.compare(at, c.kept.size(), c.kept) != 0) {
            const std::size_t end = then.find("\n== ", at);
            INFO("recorded:\n"
                 << then.substr(at, end == std::string::npos ? end : end + 1 - at) << "now:\n"
                 << c.whole);
            CHECK(then.compare(at, c.kept.size(), c.kept) == 0);
            return;
        }
        at += c.kept.size();
    }
    CHECK(at == then.size());  // the record has cases that are no longer made
}
