"""The duty roster (值班表): who is on duty at each centre (city, district, street), by
day and shift."""
