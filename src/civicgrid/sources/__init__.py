"""Data aggregation (数据汇聚): records other systems export (110 police incidents, 12345
hotline work orders, letters and visits), imported through a mapping saved per source."""
