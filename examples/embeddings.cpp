// examples/embeddings.cpp: embed a few sentences and a query, then rank the sentences by how close
// each is to the query (cosine similarity): the core of search and retrieval-augmented chat.
//
//   embeddings ["your query"]
//
// Without MISTRAL_API_KEY it talks to the bundled fake server (see example_config.hpp), whose
// vectors come from the words of each text: sentences that share words with the query rank first.
#include <mistral/mistral.hpp>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "example_config.hpp"

namespace {

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0, norm_a = 0, norm_b = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        dot += double(a[i]) * b[i];
        norm_a += double(a[i]) * a[i];
        norm_b += double(b[i]) * b[i];
    }
    return norm_a > 0 && norm_b > 0 ? dot / std::sqrt(norm_a * norm_b) : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
    mistral::client client{example::options()};
    const std::vector<std::string> sentences = {
        "The cat sleeps on the warm windowsill.",
        "Interest rates rose again this quarter.",
        "A kitten chased the cat around the garden.",
        "The compiler reports an error on line 12.",
    };
    const std::string query = argc > 1 ? argv[1] : "Where is the cat?";

    // One request for everything: the query is the last input, data[i] answers input[i].
    mistral::embedding_request request{.model = "mistral-embed", .input = sentences};
    request.input.push_back(query);
    try {
        const mistral::embedding_response response = client.embeddings(request);
        const std::vector<float>& q = response.data.back().embedding;
        std::vector<std::pair<double, std::string>> ranked;
        for (std::size_t i = 0; i < sentences.size(); ++i)
            ranked.emplace_back(cosine(response.data[i].embedding, q), sentences[i]);
        std::sort(ranked.begin(), ranked.end(), std::greater<>());

        std::cout << "closest to \"" << query << "\" (" << q.size() << " dimensions):\n";
        for (const auto& [score, sentence] : ranked)
            std::cout << "  " << std::fixed << std::setprecision(3) << score << "  " << sentence
                      << "\n";
        std::cout << "usage: " << response.usage.prompt_tokens << " prompt tokens\n";
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
