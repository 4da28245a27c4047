"""Hotspots (犯罪制图): where and when events cluster, by place, never by person."""
