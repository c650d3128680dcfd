# Owned by the programs test work; included from tests/CMakeLists.txt.
