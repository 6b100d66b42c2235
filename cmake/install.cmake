# `cmake --install` and the .deb (CPack): the programs, the systemd units and the example
# environment files (docs/INSTALL.md). Tests, benches and test tools (connswap-impair,
# connswap-quicperf) are not installed.
include(GNUInstallDirs)

install(TARGETS connswap-director connswap-worker connswap-client connswap-ctl connswap-certs
                connswap-keys
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Units and /etc files are placed at install time, not configure time: `cpack` installs with
# CMAKE_INSTALL_PREFIX=/usr whatever the build was configured with, and the units must name
# the installed programs. Prefix /usr puts the configuration in /etc (as GNUInstallDirs
# does), any other prefix in PREFIX/etc; units go to PREFIX/lib/systemd/system (both are
# searched by systemd: /usr/lib/... and /usr/local/lib/...).
set(connswap_deploy_dir ${PROJECT_SOURCE_DIR}/deploy)
set(connswap_unit_stage ${PROJECT_BINARY_DIR}/deploy/systemd)
install(CODE "set(connswap_deploy_dir \"${connswap_deploy_dir}\")
set(connswap_unit_stage \"${connswap_unit_stage}\")
set(connswap_bindir_rel \"${CMAKE_INSTALL_BINDIR}\")")
install(CODE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(CONNSWAP_SYSCONFDIR "/etc")
  else()
    set(CONNSWAP_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
  endif()
  set(CONNSWAP_BINDIR "${CMAKE_INSTALL_PREFIX}/${connswap_bindir_rel}")
  foreach(unit connswap-director.service connswap-worker@.service)
    configure_file("${connswap_deploy_dir}/systemd/${unit}.in" "${connswap_unit_stage}/${unit}"
                   @ONLY)
  endforeach()
  file(INSTALL "${connswap_unit_stage}/connswap-director.service"
               "${connswap_unit_stage}/connswap-worker@.service"
       DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  # Environment files hold no secret (the TLS files are systemd credentials): 0644.
  file(INSTALL "${connswap_deploy_dir}/systemd/director.env"
               "${connswap_deploy_dir}/systemd/worker-a.env"
       DESTINATION "${CONNSWAP_SYSCONFDIR}/connswap"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
]])
install(FILES ${PROJECT_SOURCE_DIR}/docs/INSTALL.md ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- the .deb: `cpack -G DEB` in the build directory --------------------------------------
set(CPACK_PACKAGE_NAME connswap)
set(CPACK_PACKAGE_VENDOR "connswap")
set(CPACK_PACKAGE_CONTACT "connswap maintainers <connswap@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "QUIC token-stream director and workers with exactly-once failover")
set(CPACK_PACKAGE_DESCRIPTION
    "A director proxies long-running token streams from clients to workers over QUIC and \
moves a stream to another worker when its worker fails, every token delivered once and in \
order. Ships connswap-director, connswap-worker, connswap-client, connswap-ctl, \
connswap-certs, connswap-keys and systemd units.")
set(CPACK_GENERATOR DEB)
# With CPACK_SET_DESTDIR, CPack installs into its staging tree through DESTDIR with
# CMAKE_INSTALL_PREFIX=/usr, whatever the build was configured with: the programs land in
# /usr/bin and the install(CODE) above puts the configuration in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps: libngtcp2, libgnutls, libspdlog...
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
include(CPack)
