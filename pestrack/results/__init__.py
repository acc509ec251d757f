"""What the results pages, the results API and the downloads ask of the indicators: the years and
periods with data (and which are complete), indicator values with their breakdowns, the rows behind
an indicator a page at a time, and the annual report for a period, all through the indicator
``Engine`` interface and the disclosure step. No page or HTTP here: the views are in web/results."""
