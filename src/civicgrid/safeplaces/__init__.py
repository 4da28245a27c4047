"""Safe compounds and communities (平安小区 / 零发案): a monthly list a leader publishes."""
