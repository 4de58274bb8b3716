"""How Spanish pages write dates: one format across the site, "29 nov 2026".

The month is in lower case, as Spanish writes it ("b", where "M" would capitalise it). Django's
own Spanish formats fill in everything not named here (numbers, input formats); its long
"29 de noviembre de 2026" and short "29/11/2026" are both replaced by this one.
"""

DATE_FORMAT = "j b Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j b Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = r"F \d\e Y"
MONTH_DAY_FORMAT = r"j \d\e F"
