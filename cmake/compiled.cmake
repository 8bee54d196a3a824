# cmake/compiled.cmake: mistral::compiled: separate compilation in one line. A target that links mistral::compiled
# instead of mistral::mistral gets MISTRAL_SEPARATE_COMPILATION and a static library holding the
# client engine and the JSON codecs (and, in a second translation unit, the Asio client of asio.hpp),
# compiled once with the consumer's own compiler and flags.
# Included by the top-level CMakeLists.txt and by the installed package configuration.
if(NOT TARGET mistral::compiled)
    add_library(mistral_compiled STATIC EXCLUDE_FROM_ALL "${CMAKE_CURRENT_LIST_DIR}/mistral_compiled.cpp"
        "${CMAKE_CURRENT_LIST_DIR}/mistral_compiled_asio.cpp")
    add_library(mistral::compiled ALIAS mistral_compiled)
    target_link_libraries(mistral_compiled PUBLIC mistral::mistral)
    target_compile_definitions(mistral_compiled PUBLIC MISTRAL_SEPARATE_COMPILATION)
endif()
