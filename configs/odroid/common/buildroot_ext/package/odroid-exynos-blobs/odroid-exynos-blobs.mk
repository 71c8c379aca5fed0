################################################################################
#
# odroid-exynos-blobs: signed Exynos boot stages from Hardkernel's U-Boot tree
#
################################################################################

ODROID_EXYNOS_BLOBS_VERSION = $(call qstrip,$(BR2_PACKAGE_ODROID_EXYNOS_BLOBS_VERSION))
ODROID_EXYNOS_BLOBS_SITE = $(call github,hardkernel,u-boot,$(ODROID_EXYNOS_BLOBS_VERSION))
ODROID_EXYNOS_BLOBS_LICENSE = PROPRIETARY
ODROID_EXYNOS_BLOBS_REDISTRIBUTE = NO
ODROID_EXYNOS_BLOBS_INSTALL_TARGET = NO
ODROID_EXYNOS_BLOBS_INSTALL_IMAGES = YES
ODROID_EXYNOS_BLOBS_FILES = $(call qstrip,$(BR2_PACKAGE_ODROID_EXYNOS_BLOBS_FILES))

define ODROID_EXYNOS_BLOBS_INSTALL_IMAGES_CMDS
	$(foreach f,$(ODROID_EXYNOS_BLOBS_FILES),
		$(INSTALL) -D -m 0644 $(@D)/sd_fuse/$(f) $(BINARIES_DIR)/$(f)
	)
endef

$(eval $(generic-package))
