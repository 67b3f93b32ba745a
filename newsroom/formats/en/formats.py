# Times in the admin's lists and read-only fields, in the newsroom's zone
# (TIME_ZONE) and named ("WIB"): Django's English format plus "T".
DATETIME_FORMAT = "N j, Y, P T"
SHORT_DATETIME_FORMAT = "m/d/Y P T"
