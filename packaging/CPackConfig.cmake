# CPack: a Debian package of the GUI and the CLI (packaging/README.md).
include(GNUInstallDirs)
install(TARGETS tomolive-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT gui)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/tomolive.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT gui)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/tomolive.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps COMPONENT gui)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/io.github.tomolive.TomoLive.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo COMPONENT gui)
if(EXISTS ${PROJECT_SOURCE_DIR}/resources/models/tomogan.h5)
  install(FILES ${PROJECT_SOURCE_DIR}/resources/models/tomogan.h5
          DESTINATION ${CMAKE_INSTALL_DATADIR}/tomolive/models COMPONENT gui)
endif()

set(CPACK_PACKAGE_NAME "tomolive")
set(CPACK_PACKAGE_VENDOR "TomoLive")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "TomoLive maintainers <tomolive@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_GENERATOR "DEB")
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dependencies from the linked libraries (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Live X-ray tomography for the synchrotron beamline console: streaming SIRT reconstruction\n while the scan runs, TomoGAN enhancement, rate charts and steering.")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/tomolive/tomolive")
include(CPack)
