# Runs inside `cmake --install` (see install.cmake): configures bastion-run
# and bastion.pc with the install prefix in force now, which --prefix may
# have changed since the build was configured. The caller sets BST_LIBDIR,
# BST_INCLUDEDIR (as configured, relative or absolute), BST_VERSION,
# BST_SONAME, BST_RUN_IN, BST_PC_IN and BST_OUT.
set(BST_PREFIX "${CMAKE_INSTALL_PREFIX}")
foreach(d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${BST_${d}}")
    set(BST_PC_${d} "${BST_${d}}")
  else()
    # pkg-config users may redefine prefix; keep the other paths under it.
    set(BST_PC_${d} "\${prefix}/${BST_${d}}")
    set(BST_${d} "${BST_PREFIX}/${BST_${d}}")
  endif()
endforeach()
set(BST_RUN_LIB "${BST_LIBDIR}/${BST_SONAME}")
configure_file("${BST_RUN_IN}" "${BST_OUT}/bastion-run" @ONLY)
configure_file("${BST_PC_IN}" "${BST_OUT}/bastion.pc" @ONLY)
