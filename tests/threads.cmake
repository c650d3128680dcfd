# Owned by the threads test work; included from tests/CMakeLists.txt.
