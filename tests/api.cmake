# Owned by the api test work; included from tests/CMakeLists.txt.
