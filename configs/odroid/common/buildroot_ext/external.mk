include $(sort $(wildcard $(BR2_EXTERNAL_SKIFF_ODROID_PATH)/package/*/*.mk))
