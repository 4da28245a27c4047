"""Sensing (感知): devices in grids, alarms from them over HTTP and MQTT, cases from alarms."""
