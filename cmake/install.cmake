# Install rules and the bastion-run launcher; included from the top-level
# CMakeLists.txt when libbastion.so is built (not in the sanitizer presets).
#
# Installs libbastion.so (with its SONAME links), libbastion.a, bastion.h, a
# CMake package (bastion::bastion, bastion::bastion_static), bastion.pc,
# bin/bastion-run and the man pages. bastion_prefixed is for the tests and
# fuzzers only and is not installed.
include(CMakePackageConfigHelpers)

set(BST_CMAKE_DIR ${PROJECT_SOURCE_DIR}/cmake)
set(BST_PKG_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bastion)

install(TARGETS bastion bastion_static EXPORT bastionTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/bastion.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# CMake package. The targets file and the config locate themselves relative
# to the install prefix, so the tree can be moved (or installed with
# --prefix) without reconfiguring.
install(EXPORT bastionTargets NAMESPACE bastion:: DESTINATION ${BST_PKG_DIR})
configure_package_config_file(${BST_CMAKE_DIR}/bastionConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/bastionConfig.cmake
                              INSTALL_DESTINATION ${BST_PKG_DIR})
# The SONAME is libbastion.so.0: every 0.x release must stay compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bastionConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bastionConfig.cmake
              ${PROJECT_BINARY_DIR}/bastionConfigVersion.cmake
        DESTINATION ${BST_PKG_DIR})

install(FILES ${PROJECT_SOURCE_DIR}/man/bastion.3 DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
install(FILES ${PROJECT_SOURCE_DIR}/man/bastion-run.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The launcher in the build tree preloads the build tree's library, so
# `build/release/bastion-run prog` works without installing. configure_file
# fills the version, file(GENERATE) the library path.
set(BST_VERSION ${PROJECT_VERSION})
set(BST_RUN_LIB "$<TARGET_FILE:bastion>")
configure_file(${PROJECT_SOURCE_DIR}/tools/bastion-run.in
               ${PROJECT_BINARY_DIR}/tools/bastion-run.genex @ONLY)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/bastion-run
     INPUT ${PROJECT_BINARY_DIR}/tools/bastion-run.genex
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                      WORLD_READ WORLD_EXECUTE)

# bastion-run and bastion.pc hold absolute paths into the install tree. They
# are configured when installing, from the prefix in force then, so
# `cmake --install . --prefix DIR` gets paths under DIR (DESTDIR is not part
# of them: it only stages the files). The installed launcher preloads the
# SONAME file, which a runtime-only package ships (libbastion.so is the
# development link).
set(BST_INSTALL_GEN ${PROJECT_BINARY_DIR}/install-gen)
install(CODE "
  set(BST_LIBDIR [[${CMAKE_INSTALL_LIBDIR}]])
  set(BST_INCLUDEDIR [[${CMAKE_INSTALL_INCLUDEDIR}]])
  set(BST_VERSION [[${PROJECT_VERSION}]])
  set(BST_SONAME [[$<TARGET_SONAME_FILE_NAME:bastion>]])
  set(BST_RUN_IN [[${PROJECT_SOURCE_DIR}/tools/bastion-run.in]])
  set(BST_PC_IN [[${BST_CMAKE_DIR}/bastion.pc.in]])
  set(BST_OUT [[${BST_INSTALL_GEN}]])
  include([[${BST_CMAKE_DIR}/install-configure.cmake]])
")
install(PROGRAMS ${BST_INSTALL_GEN}/bastion-run DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${BST_INSTALL_GEN}/bastion.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
