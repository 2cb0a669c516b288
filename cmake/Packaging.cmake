# Install rules and the Debian package (CPack): `cpack -G DEB` in a build
# folder gives kimsync_<version>_<arch>.deb (scripts/package does it all).
# Included at the end of the top-level CMakeLists.txt, where the targets
# exist. Only the three programs are installed, never the tests or benchmarks.
#
# What the package holds (prefix /usr):
#   bin/kim, bin/kim-server, bin/kim-audit
#   share/kimsync/schema/      the catalogue and SQL migrations (the binaries
#                              embed their own copies; these are for reading)
#   share/kimsync/dashboard/   the dashboard's files (kim-server embeds and
#                              serves them; copies for a reverse proxy)
#   share/doc/kimsync/examples/kim-server.service, kim-server.conf
# The systemd unit is only an example: installing the package neither creates
# the `kimsync` user nor enables or starts a service; the unit's comments say
# how to set it up.
include(GNUInstallDirs)

install(TARGETS kim kim-server kim-audit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/schema/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/kimsync/schema
        FILES_MATCHING PATTERN "*.json" PATTERN "*.sql")
install(FILES ${PROJECT_SOURCE_DIR}/server/dashboard/index.html
              ${PROJECT_SOURCE_DIR}/server/dashboard/dashboard.js
              ${PROJECT_SOURCE_DIR}/server/dashboard/dashboard.css
        DESTINATION ${CMAKE_INSTALL_DATADIR}/kimsync/dashboard)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/kim-server.service
              ${PROJECT_SOURCE_DIR}/packaging/kim-server.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(KIM_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the Debian package (none when empty)")

set(CPACK_PACKAGE_NAME kimsync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "kimsync developers")
set(CPACK_PACKAGE_CONTACT "kimsync developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "offline-first, end-to-end encrypted case records for KIM")
# The long description, wrapped for the control file (an empty line becomes
# the paragraph separator " .").
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "kimsync keeps the case records of the Kommunales Integrationsmanagement\n"
    "(KIM) in North Rhine-Westphalia on encrypted local SQLite replicas that\n"
    "keep working offline and exchange signed change logs, merged without\n"
    "losing an edit.\n"
    "\n"
    "This package holds the client `kim`; the central sync server `kim-server`\n"
    "(SQLite or PostgreSQL store, coordinators' dashboard), which only ever\n"
    "holds ciphertext; and the auditor's verifier `kim-audit`.")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # kimsync_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "kimsync developers")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
if(KIM_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${KIM_PACKAGE_HOMEPAGE})
endif()
# Depends computed by dpkg-shlibdeps from the binaries (libsodium23,
# libsqlite3-0, libpq5, libssl3, libstdc++6, libc6...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
