-- License API refusals of authenticated requests, counted per company, hour and code by the
-- write-behind batch instead of logged one by one: what support reads to answer "why was this
-- refused".
CREATE TABLE refusal_counts (
    company_id BIGINT NOT NULL REFERENCES companies(id),
    hour BIGINT NOT NULL,                -- epoch milliseconds at the start of the hour
    code TEXT NOT NULL,                  -- the refusal's code, e.g. license_not_found
    refusals BIGINT NOT NULL,
    PRIMARY KEY (company_id, hour, code)
);
