# What `cmake --install` puts where, and the packages made from it:
#   dev:   headers, libraries, the CMake package (find_package(onbehalf)) and onbehalf.pc
#   tools: the onbehalf command and onbehalf-devauthority
# `cpack` in the build folder makes the Debian packages libonbehalf-dev and onbehalf from them.
include(CMakePackageConfigHelpers)

set(onbehalf_folders core config identity redis cache json http actors devauthority)
list(TRANSFORM onbehalf_folders PREPEND onbehalf_ OUTPUT_VARIABLE onbehalf_libraries)
install(TARGETS ${onbehalf_libraries} onbehalf_onbehalf EXPORT onbehalfTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(folder IN LISTS onbehalf_folders)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
endforeach()

set(onbehalf_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/onbehalf)
install(EXPORT onbehalfTargets NAMESPACE onbehalf:: DESTINATION ${onbehalf_cmake_dir} COMPONENT dev)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/onbehalfConfig.cmake.in ${PROJECT_BINARY_DIR}/onbehalfConfig.cmake
  INSTALL_DESTINATION ${onbehalf_cmake_dir})
# Before 1.0 a minor version may change the API: 0.2 accepts 0.2.x only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/onbehalfConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/onbehalfConfig.cmake ${PROJECT_BINARY_DIR}/onbehalfConfigVersion.cmake
  DESTINATION ${onbehalf_cmake_dir} COMPONENT dev)

# pkg-config, for builds without CMake. The libraries are static unless BUILD_SHARED_LIBS: then
# what they link stays private to them.
set(onbehalf_pc_libs "-lonbehalf_actors -lonbehalf_http -lonbehalf_cache -lonbehalf_redis -lonbehalf_json -lonbehalf_identity -lonbehalf_config -lonbehalf_core")
set(onbehalf_pc_dependencies "-lcaf_core -lrocksdb -lsimdjson -lboost_json -lpthread")
if(BUILD_SHARED_LIBS)
  set(onbehalf_pc_private_libs "${onbehalf_pc_dependencies}")
else()
  string(APPEND onbehalf_pc_libs " ${onbehalf_pc_dependencies}")
  set(onbehalf_pc_private_libs "")
endif()
# Relocatable: the prefix is found from where the .pc file is (an extracted package, a copy).
file(RELATIVE_PATH onbehalf_pc_to_prefix /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${CMAKE_CURRENT_LIST_DIR}/onbehalf.pc.in ${PROJECT_BINARY_DIR}/onbehalf.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/onbehalf.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

if(ONBEHALF_BUILD_TOOLS)
  install(TARGETS onbehalf onbehalf-devauthority RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
endif()

include(${CMAKE_CURRENT_LIST_DIR}/debian.cmake)
