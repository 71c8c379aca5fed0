include $(sort $(wildcard $(BR2_EXTERNAL_SKIFF_JETSON_PATH)/package/*/*.mk))
