"""How English pages write dates: one format across the site, "29 Nov 2026".

Day, abbreviated month, year reads the same to every English reader (no 11/29 against 29/11)
and matches the Spanish pages' order. Django's own English formats fill in everything not
named here (numbers, input formats).
"""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
