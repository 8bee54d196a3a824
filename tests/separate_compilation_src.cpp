// The one translation unit of test_separate_compilation that compiles the engine and codecs.
#include <mistral/src.hpp>
