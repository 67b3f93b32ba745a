# Times in the admin's lists and read-only fields, in the newsroom's zone
# (TIME_ZONE) and named ("WIB"): Django's Indonesian format plus "T".
DATETIME_FORMAT = "j N Y, G.i T"
SHORT_DATETIME_FORMAT = "d-m-Y G.i T"
