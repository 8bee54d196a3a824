// mistral_compiled.cpp: the one translation unit of mistral::compiled (CMake) and
// mistral-cpp-compiled (Meson), which compiles the client engine and the JSON codecs once.
#include <mistral/src.hpp>
