################################################################################
#
# linux4tegra: NVIDIA Jetson Linux board support package (flash tools, firmware)
#
################################################################################

ifeq ($(BR2_PACKAGE_LINUX4TEGRA_R32_T186),y)
LINUX4TEGRA_VERSION = 32.7.4
LINUX4TEGRA_SITE = https://developer.nvidia.com/downloads/embedded/l4t/r32_release_v7.4/t186
LINUX4TEGRA_SOURCE = jetson_linux_r$(LINUX4TEGRA_VERSION)_aarch64.tbz2
else ifeq ($(BR2_PACKAGE_LINUX4TEGRA_R32_T210),y)
LINUX4TEGRA_VERSION = 32.7.4
LINUX4TEGRA_SITE = https://developer.nvidia.com/downloads/embedded/l4t/r32_release_v7.4/t210
LINUX4TEGRA_SOURCE = jetson-210_linux_r$(LINUX4TEGRA_VERSION)_aarch64.tbz2
else
LINUX4TEGRA_VERSION = 36.2.0
LINUX4TEGRA_SITE = https://developer.download.nvidia.com/embedded/L4T/r36_Release_v2.0/release
LINUX4TEGRA_SOURCE = Jetson_Linux_R$(LINUX4TEGRA_VERSION)_aarch64.tbz2
endif

LINUX4TEGRA_LICENSE = NVIDIA Software License, GPL-2.0, various
LINUX4TEGRA_REDISTRIBUTE = NO
LINUX4TEGRA_INSTALL_TARGET = NO
LINUX4TEGRA_INSTALL_IMAGES = YES

# The flashing commands run NVIDIA's scripts from images/linux4tegra.
define LINUX4TEGRA_INSTALL_IMAGES_CMDS
	ln -sfn $(@D) $(BINARIES_DIR)/linux4tegra
endef

$(eval $(generic-package))
