"""City components (部件): the fixed assets of the city's streets, coded by GB/T 30428.2."""
