DROP TABLE conversation_reports;
