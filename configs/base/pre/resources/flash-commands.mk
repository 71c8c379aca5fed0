# SD card / disk commands shared by the board packages (format, install, buildimage,
# create-image). The work is done by `skiff flash`; these rules only check the variables
# and pass them on. A board family's extensions/Makefile sets, then includes this file:
#   FLASH_PREFIX = PI         the user names the card as PI_SD=/dev/sdX and the image
#                             file as PI_IMAGE=file.img (a relative path is taken from
#                             SKIFF_ROOT_DIR)
#   FLASH_DEVICE_VAR, FLASH_IMAGE_VAR   other names than <prefix>_SD / <prefix>_IMAGE
#   BOOTLOADER_ARGS           boot blobs at raw offsets, as repeated
#                             --bootloader "$(SKIFF_IMAGES)/FILE:OFFSET" options (OFFSET in
#                             bytes from the start of the card); a board sets it before
#                             including its family's Makefile
#   FLASH_LAYOUT_ARGS         partition table options for format and buildimage (e.g.
#                             --first-partition-start 16M); the table type and p1's start
#                             otherwise follow from the blobs
# See docs/packages.md ("Flash commands").

SKIFF ?= skiff
# The build output (boot blobs are passed to `skiff flash` by absolute path).
SKIFF_IMAGES ?= $(or $(BUILDROOT_DIR),$(SKIFF_BUILDROOT_DIR))/images
FLASH_DEVICE_VAR ?= $(FLASH_PREFIX)_SD
FLASH_IMAGE_VAR ?= $(FLASH_PREFIX)_IMAGE
BOOTLOADER_ARGS ?=
FLASH_LAYOUT_ARGS ?=

skiff_need = $(if $(strip $($(1))),,$(error $(1) is not set: $(2)))
skiff_image = $(if $(filter /%,$($(FLASH_IMAGE_VAR))),$($(FLASH_IMAGE_VAR)),$(or $(SKIFF_ROOT_DIR),.)/$($(FLASH_IMAGE_VAR)))

.PHONY: format install buildimage create-image

format:
	$(call skiff_need,$(FLASH_DEVICE_VAR),name the SD card device to format as $(FLASH_DEVICE_VAR)=/dev/sdX)
	"$(SKIFF)" flash format --device "$($(FLASH_DEVICE_VAR))" $(BOOTLOADER_ARGS) $(FLASH_LAYOUT_ARGS)

install:
	$(call skiff_need,$(FLASH_DEVICE_VAR),name the formatted SD card as $(FLASH_DEVICE_VAR)=/dev/sdX)
	"$(SKIFF)" flash install --device "$($(FLASH_DEVICE_VAR))" $(BOOTLOADER_ARGS)

buildimage:
	$(call skiff_need,$(FLASH_IMAGE_VAR),name the image file to write as $(FLASH_IMAGE_VAR)=path/to/file.img)
	"$(SKIFF)" flash buildimage --image "$(skiff_image)" $(BOOTLOADER_ARGS) $(FLASH_LAYOUT_ARGS)

create-image: buildimage
