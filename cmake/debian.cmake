# The Debian packages, made by `cpack` in the build folder (tests/packaging checks them):
#   libonbehalf-dev  headers, libraries, the CMake package and onbehalf.pc
#   onbehalf         the onbehalf command and onbehalf-devauthority
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME onbehalf)
set(CPACK_PACKAGE_VENDOR "onbehalf")
set(CPACK_PACKAGE_CONTACT "onbehalf maintainers <maintainers@onbehalf.invalid>")
# Each package's description is its component's: a summary line, then the text (CPack indents it).
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dev tools)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://onbehalf.invalid")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libonbehalf-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# Static libraries: what they link comes with the -dev packages of their dependencies.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libcaf-dev (>= 0.17.6), libcaf-dev (<< 0.18), libboost1.81-dev, libboost-json1.81-dev, libssl-dev (>= 3), libsimdjson-dev, librocksdb-dev")
set(onbehalf_deb_about "onbehalf signs users in to C++ web apps with OpenID Connect and calls
downstream APIs on the signed-in user's behalf or as the app, as
Microsoft.Identity.Web does for ASP.NET Core.")
set(CPACK_COMPONENT_DEV_DESCRIPTION "OpenID Connect and on-behalf-of for C++ web backends (development)
${onbehalf_deb_about}

This package holds the headers, the static libraries, the CMake package
(find_package(onbehalf)) and the pkg-config file.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME onbehalf)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SHLIBDEPS ON)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION "OpenID Connect and on-behalf-of for C++ web backends (programs)
${onbehalf_deb_about}

This package holds the onbehalf command (serve, check-config,
generate-key) and onbehalf-devauthority, a local OpenID provider shaped
like Microsoft Entra ID, for development.")

# What Debian asks of every package: a changelog and a copyright file in its doc folder, and a
# manual page for each program; compressed as dh_compress would (gzip -9n: no name, no time).
function(onbehalf_gzip source target)
  execute_process(COMMAND gzip -9n -c ${source} OUTPUT_FILE ${target} COMMAND_ERROR_IS_FATAL ANY)
endfunction()
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/debian)
onbehalf_gzip(${CMAKE_CURRENT_LIST_DIR}/debian/changelog ${PROJECT_BINARY_DIR}/debian/changelog.Debian.gz)
foreach(component_package IN ITEMS dev:libonbehalf-dev tools:onbehalf)
  string(REPLACE ":" ";" pair ${component_package})
  list(GET pair 0 component)
  list(GET pair 1 package)
  install(FILES ${PROJECT_BINARY_DIR}/debian/changelog.Debian.gz ${CMAKE_CURRENT_LIST_DIR}/debian/copyright
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${component})
endforeach()
if(ONBEHALF_BUILD_TOOLS)
  foreach(program onbehalf onbehalf-devauthority)
    onbehalf_gzip(${CMAKE_CURRENT_LIST_DIR}/debian/${program}.1 ${PROJECT_BINARY_DIR}/debian/${program}.1.gz)
    install(FILES ${PROJECT_BINARY_DIR}/debian/${program}.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT tools)
  endforeach()
endif()

include(CPack)
