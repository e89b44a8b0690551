# CPack: a Debian package of the GUI and the CLI (packaging/README.md).
include(GNUInstallDirs)
install(TARGETS tomolive-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT gui)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/tomolive.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT gui)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/tomolive.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps COMPONENT gui)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/io.github.tomolive.TomoLive.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo COMPONENT gui)
# The shipped models: tomogan.h5 (every method) and tomogan_<method>.h5 (nn/ModelLocation.h).
file(GLOB _tomolive_models ${PROJECT_SOURCE_DIR}/resources/models/tomogan*.h5)
list(FILTER _tomolive_models EXCLUDE REGEX "_golden\\.h5$")
install(FILES ${_tomolive_models} DESTINATION ${CMAKE_INSTALL_DATADIR}/tomolive/models
        COMPONENT gui)

# The GPU plugin (engine/gpu) is its own package, tomolive-gpu: it needs the NVIDIA driver, the
# CUDA runtime it carries and cuDNN 9 from NVIDIA (not Debian packages, so no shlibdeps for it).
# Without it TomoLive runs on the CPU and says why.
if(TARGET tomolive_gpu)
  # lib/tomolive beside bin/: where engine/backend/GpuPlugin.cpp looks.
  install(TARGETS tomolive_gpu LIBRARY DESTINATION lib/tomolive COMPONENT gpu)
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
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_GUI_PACKAGE_NAME "tomolive")
set(CPACK_DEBIAN_GPU_PACKAGE_NAME "tomolive-gpu")
set(CPACK_DEBIAN_GPU_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_GPU_PACKAGE_DEPENDS "tomolive (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_GPU_DESCRIPTION
    "GPU backend of TomoLive: CUDA Joseph projectors, SIRT on the GPU and cuDNN TomoGAN.\n Needs an NVIDIA GPU (compute capability 8.0 or newer) with its driver and cuDNN 9.")
set(CPACK_COMPONENT_GPU_DESCRIPTION "GPU backend (CUDA and cuDNN)")
include(CPack)
