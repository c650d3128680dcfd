# Owned by the packaging work; included from tests/CMakeLists.txt when
# libbastion.so is built (the install rules exist only then).

# cmake --install into a temp prefix, then a find_package(bastion) project,
# cc with pkg-config (shared and static) and the installed bastion-run.
add_test(NAME install_consumer
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/install_test.sh ${CMAKE_COMMAND}
                 ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} ${CMAKE_C_COMPILER}
                 ${PROJECT_VERSION} ${CMAKE_GENERATOR} ${CMAKE_MAKE_PROGRAM})
set_tests_properties(install_consumer PROPERTIES
  TIMEOUT 120 SKIP_RETURN_CODE 77 LABELS install
  ENVIRONMENT "BST_LIBDIR=${CMAKE_INSTALL_LIBDIR};BST_BINDIR=${CMAKE_INSTALL_BINDIR};BST_INCLUDEDIR=${CMAKE_INSTALL_INCLUDEDIR};BST_MANDIR=${CMAKE_INSTALL_MANDIR}")

# The man pages render without groff warnings; skipped where there is no groff.
find_program(BST_GROFF groff)
if(NOT BST_GROFF)
  set(BST_GROFF "")
endif()
add_test(NAME man_pages
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/man_test.sh "${BST_GROFF}" ${PROJECT_VERSION}
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(man_pages PROPERTIES SKIP_RETURN_CODE 77 LABELS install)
